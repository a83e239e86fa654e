"""Overoptimization lab, claim 6 (see ``catgoodhart.lab.analysis``, whose docstrings define how it
is measured): the reference run of the small preset decides it."""

from catgoodhart.lab.reference import claim_check
from catgoodhart.reproduce import print_check


def check():
    return claim_check(6)


if __name__ == "__main__":
    print_check(check())
