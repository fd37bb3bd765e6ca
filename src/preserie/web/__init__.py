"""The présérie in the browser: French pages served by the registry service itself (`preserie serve`).

People sign in with a password (`preserie accounts password NAME`); each sees the pilots its role lets it see,
through the same rules as the JSON API (`services.registry.Registry.visible`, `services.pilots.listed`…), and a
pilot's page reads the bilan the service keeps (`services.bilan.assess_registered`). `site.install(app)` adds the
pages, their static files and their security headers to the service's app.
"""
