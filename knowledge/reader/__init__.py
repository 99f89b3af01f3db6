"""The reader: learned answer decision (docs/reader.md). `model.Reader` is what answering loads;
`train` and `govbot train-reader` make one from `data/reader`."""
