"""Long-term memory: items with retention classes, hybrid recall, learning from conversation, the profile."""
