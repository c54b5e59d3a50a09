"""ckanext-tdpf: the CKAN 2.12 extension suite of the Tokyo Data Platform.

The dataset schemas (``schemas/``) and the translations (``i18n/``) live at the top of the
repository so translators and schema editors find them; they are packaged as
``ckanext.tdpf.schemas`` and ``ckanext.tdpf.i18n`` so a wheel carries both.
"""
from setuptools import find_packages, setup

PLUGINS = [
    "tdpf_schema = ckanext.tdpf.schema.plugin:SchemaPlugin",
    "tdpf_harvest = ckanext.tdpf.harvest.plugin:HarvestPlugin",
    "tdpf_ckan_harvester = ckanext.tdpf.harvest.harvesters.ckan:CKANHarvester",
    "tdpf_dcat_harvester = ckanext.tdpf.harvest.harvesters.dcat:DCATHarvester",
    "tdpf_csv_list_harvester = ckanext.tdpf.harvest.harvesters.csv_list:CSVListHarvester",
    "tdpf_access = ckanext.tdpf.access.plugin:AccessPlugin",
    "tdpf_prep = ckanext.tdpf.prep.plugin:PrepPlugin",
]

# Code packages, without tests; the schemas and translations come from the top level.
PACKAGES = find_packages(include=["ckanext", "ckanext.*"], exclude=["*.tests", "*.tests.*"])
PACKAGES += ["ckanext.tdpf.schemas", "ckanext.tdpf.i18n"]

setup(
    name="ckanext-tdpf",
    version="0.1.0",
    description="Tokyo Data Platform (東京データプラットフォーム) extensions for CKAN 2.12",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="AGPL-3.0-or-later",
    python_requires=">=3.10",
    packages=PACKAGES,
    package_dir={
        "ckanext.tdpf.schemas": "schemas",
        "ckanext.tdpf.i18n": "i18n",
    },
    package_data={
        "ckanext.tdpf.schema": ["config_declaration.yaml", "templates/**/*", "assets/**/*"],
        "ckanext.tdpf.migration": ["*/*.py", "*/alembic.ini", "*/script.py.mako",
                                   "*/versions/*.py"],
        "ckanext.tdpf.lib": ["data/*"],
        "ckanext.tdpf.lib.standards": ["data/*.yaml"],
        "ckanext.tdpf.harvest": ["config_declaration.yaml", "templates/**/*", "assets/**/*"],
        "ckanext.tdpf.access": ["config_declaration.yaml", "templates/**/*", "assets/**/*"],
        "ckanext.tdpf.prep": ["config_declaration.yaml", "templates/**/*"],
        "ckanext.tdpf.schemas": ["*.yaml", "*.csv"],
        "ckanext.tdpf.i18n": ["*.pot", "*/LC_MESSAGES/*.po", "*/LC_MESSAGES/*.mo"],
    },
    include_package_data=False,
    zip_safe=False,
    # Exact pins live in requirements.txt; these are the contracts the code relies on.
    install_requires=[
        "ckan==2.12.0",
        "ckanext-scheming==3.1.0",
        "ckanext-dcat==2.4.4",
        "ckanext-harvest==1.6.3",
        "ckanapi==4.11",
        "requests==2.34.2",
        "openpyxl==3.1.5",
        "xlrd==2.0.2",
        "pdfplumber==0.11.10",
    ],
    entry_points={
        "ckan.plugins": PLUGINS,
        "ckan.rdf.profiles": ["tdpf = ckanext.tdpf.schema.dcat:TDPFProfile"],
    },
    message_extractors={
        "ckanext": [
            ("**.py", "python", None),
            ("**.js", "javascript", None),
            ("**/templates/**.html", "ckan", None),
        ],
    },
)
