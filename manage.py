#!/usr/bin/env python
"""Same as the `gongzhi` console script."""

from gongzhi.__main__ import main

if __name__ == "__main__":
    main()
