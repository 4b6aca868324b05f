//! Placeholder lib so the workspace resolves.
