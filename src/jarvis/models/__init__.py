"""Model files: a catalog of packaged models and their preparation into data_dir/models."""
