"""Maps and exports: the alerts as layers of a shared picture.

* :mod:`maps.report`: the report map (folium + the project's ``static/picture.js``), one
  self-contained HTML file; :class:`maps.tracks.TrackCollector` thins tracks as a replay runs.
* :mod:`maps.server`: the live picture server (GeoJSON API, page, acknowledgements) and its
  sources (embedded replay; a Kafka follower plugs in the same way).
* :mod:`maps.export`: GeoJSON, KML, CSV and Cursor-on-Target exports (pure functions).
* :mod:`maps.assets` and :mod:`maps.land`: the offline asset cache (Leaflet and Natural Earth
  land from the npm registry, pinned) and inlining; :mod:`maps.style`: colours and labels;
  :mod:`maps.features`: the GeoJSON building blocks.

No module does work at import time; folium, shapely and the runner are imported where used.
"""
