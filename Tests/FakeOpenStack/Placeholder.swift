enum _PlaceholderFakeOpenStack {}
