enum _PlaceholderFakeKubernetes {}
