from calcideck.cli import main

raise SystemExit(main())
