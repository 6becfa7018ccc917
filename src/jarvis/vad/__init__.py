"""Voice activity detection: backends give a speech probability per frame; endpointing decides."""
