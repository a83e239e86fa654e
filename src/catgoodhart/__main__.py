from catgoodhart.cli import main

raise SystemExit(main())
