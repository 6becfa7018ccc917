"""HTTP and WebSocket API: thin routes over the pipeline and the store."""
