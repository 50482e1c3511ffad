"""The registered weight-sharing searchers: DARTS (first/second order), GDAS, SETN, ENAS and RSPS."""
