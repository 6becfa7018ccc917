"""Bridges to other systems in the home (MQTT, ...)."""
