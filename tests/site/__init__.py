"""The demo shop and the lab pages that tests point browsers and bots at."""
