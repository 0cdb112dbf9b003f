from __future__ import annotations

from benchmarks.main import main

raise SystemExit(main())
