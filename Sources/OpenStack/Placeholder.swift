enum _PlaceholderOpenStack {}
