"""Importers: one module per input format, each returning validated records.

- ``geo``: neighbourhood polygons (GeoPackage, Shapefile, GeoJSON; any CRS)
- ``tabular``: places and activities from CSV and GeoJSON
- ``hsds``: Open Referral HSDS 3.0 JSON
- ``osm``: meeting places from an OpenStreetMap PBF extract
- ``indicators``: indicator tables (long or wide CSV, neighbourhoods or sectors)

Reading never touches the database; :func:`import_directory` stores what was
read in one transaction, so a bad file leaves the database unchanged.
"""
