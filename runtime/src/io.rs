//! JSON inputs and outputs.
