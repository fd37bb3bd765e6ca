from preserie.entry import main

main()
