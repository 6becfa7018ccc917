"""Language-model engines behind one streaming chat interface."""
