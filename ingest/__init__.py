"""Files -> documents -> chunks, written into the index through `index`'s writer."""
