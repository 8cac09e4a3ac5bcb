"""Compression distances for images: codecs, serializers, context coders, matrices, kNN."""
