"""Pure analyses of ParkHQ: Polars frames (and small typed configs) in, Polars frames out."""
