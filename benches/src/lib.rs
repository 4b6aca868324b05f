//! Criterion benchmarks live in `benches/benches/`; this library target is empty on purpose.
