"""govbot benchmarks: retrieval quality, ask latency at scale, ingestion rate (`python -m bench.run_all`)."""
