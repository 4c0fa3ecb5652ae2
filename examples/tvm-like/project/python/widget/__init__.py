"""A tiny package for the example's tests to read."""


def area(width, height):
    return width * height
