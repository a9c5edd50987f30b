"""Tests of the trawler package: CLI sinks and the replay viewer."""
