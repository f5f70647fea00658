from coptui.cli import main

raise SystemExit(main())
