# The shared "ckanext" namespace, extended the way CKAN core and its extensions do.
__path__ = __import__("pkgutil").extend_path(__path__, __name__)
