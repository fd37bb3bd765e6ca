from preserie.cli import app

app(prog_name="preserie")
