enum _PlaceholderKubernetes {}
