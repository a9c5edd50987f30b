"""trawler: build a bot once, run it on real Chromium, get clean rows."""
