from coptui.cli.main import main

raise SystemExit(main())
