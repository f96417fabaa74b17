"""Built-in subdrivers: one module per vendor, each a declarative hid2nut table."""
