"""Messages of CKAN core and of the extensions the suite deploys, for the suite's catalog.

Nothing imports this module. It exists so that ``make i18n`` (pybabel) extracts these
msgids into ``i18n/ja/LC_MESSAGES/ckanext-tdpf.po`` and keeps them there; without it, a
msgid that is not in the suite's own code is marked obsolete.

Why: the portal is Japanese, but CKAN core's ``ja`` catalog is incomplete (some entries are
empty, some "translated" to the English msgid: "About", "Email", "Go"), ckanext-harvest,
ckanext-scheming and ckanext-dcat have no ``ja`` catalog, and ckanext-activity's strings are
in core's catalog. CKAN merges every ``ITranslation`` plugin's catalog after core's
(``flask_babel.Domain.get_translations`` → ``Translations.merge``, later wins), so the suite's
Japanese wins over core's gaps. Wording follows core's ``ja`` catalog where it has the term
(データセット, 組織, リソース); harvesting is 収集, a harvest source 収集元, as elsewhere in
the suite.

The groups name the package that shows each message; ``test_japanese_pages.py`` renders the
journeys' pages and the harvest admin in ``ja`` and fails on English that remains.
"""
from __future__ import annotations

from ckanext.tdpf.lib.i18n import N_


def ungettext(singular: str, plural: str, n: int) -> tuple[str, str]:
    """Mark a plural message. pybabel extracts ``ungettext`` with both forms (its default
    keyword); the Makefile's ``-k ngettext`` keeps only the singular of ``ngettext``."""
    return singular, plural


# --- CKAN core (ckan/templates): header, search, dataset, resource, user, errors ----------
CORE = (
    N_("About"),
    N_("Skip to main content"),
    N_("Toggle navigation"),
    N_("Breadcrumb"),
    N_("Search Datasets..."),
    N_("Go"),
    N_("Submit"),
    N_("close"),
    N_("Profile settings"),
    N_("Account"),
    N_("Previous"),
    N_("Publish"),
    N_("Unpublish"),
    N_("Reorder resources"),
    N_("Filter by: {title}"),
    N_("Search datasets by {name}: {label}"),
    N_("Navigate to Home - {site_title}"),
    N_("Navigate to dataset: {title}"),
    N_("Navigate to resource: {name}"),
    N_("Navigate to resource: {name_or_id}"),
    N_("Open details page for {name}"),
    N_("Current resource: {name}"),
    N_("Manage resource: {name}"),
    N_("Resource URL: {url}"),
    N_("Dataset description:"),
    N_("You can also access this registry using the %(api_link)s (see %(api_doc_link)s)."),
    N_('Source: <a href="%(url)s">%(dataset)s</a>'),
    N_("{bytes} bytes"),
    N_("{kibibytes} KiB"),
    N_("There is no description for this dataset."),
    N_("There is no description for this organization."),
    N_("There are currently no groups for this site."),
    N_("Dataset not found or you have no permission to view it"),
    ungettext("{num} Member", "{num} Members", 2),
    ungettext("%(count)s dataset found.", "%(count)s datasets found.", 2),
    ungettext('%(count)s dataset found for "%(query)s".',
              '%(count)s datasets found for "%(query)s".', 2),
    N_("There are no groups associated with this dataset."),
    N_("Markdown quick reference"),
    N_("Search datasets with the tag: {name}"),
    N_("Search datasets with the tag: {tag}"),
    N_('You can use <a href="#markdown" title="Markdown quick reference" data-bs-toggle="popover" '
       'data-bs-content="%(markdown_tooltip)s" data-bs-html="true">Markdown formatting</a> here'),
    N_("Remove applied filter: {value}"),
    N_("Open details page for dataset - {title}"),
    N_("eg. CSV, XML or JSON"),
    # h.humanize_entity_type's templates, filled with a type's name ("組織")
    N_("Add {object_type}"),
    N_("Add to {object_type}"),
    N_("{object_type}s"),
    N_("Create {object_type}"),
    N_("Are you sure you want to delete this {object_type}?"),
    N_("A little information about my {object_type}..."),
    N_("Edit {object_type}"),
    N_("{object_type} Form"),
    N_("My {object_type}s"),
    N_("View {object_type}"),
    N_("My {object_type}"),
    N_("There are currently no {object_type}s for this site."),
    N_("There are no {object_type}s associated with this dataset."),
    N_("There is no description for this {object_type}."),
    N_("No {object_type}"),
    N_("Save {object_type}"),
    N_("Search {object_type}s..."),
    N_("You are not a member of any {object_type}s."),
    N_("User isn't a member of any {object_type}s."),
    N_("Update {object_type}"),
    # errors (403 for anonymous)
    N_("You might need to login to access this page."),
    N_("Click here to login"),
    # user pages
    N_("Email"),
    N_("Username or Email"),
    N_("Last Active"),
    N_("API Tokens"),
    N_("Profile picture"),
    N_("Profile picture URL"),
    N_("eg. Joe Bloggs"),
    N_("eg. joe@example.com"),
    N_("Joe Bloggs"),
    N_("joe@example.com"),
    N_("Email or username"),
    N_("Enter your email address or username into the box and we will send you an email with "
       "a link to enter a new password."),
    N_("Request Reset"),
    N_("Create API Token"),
    N_("Token"),
    N_("Last access"),
    N_("Revoke tokens"),
    N_("Are you sure you want to revoke these tokens?"),
    N_("This information is visible to you and admins"),
    N_("active"),
    N_("pending"),
    N_("deleted"),
    # sysadmin pages (/ckan-admin)
    N_("Current Sysadmins"),
    N_("Promote"),
    N_("Promote user to Sysadmin"),
    N_("Revoke Sysadmin permission"),
    N_("Username"),
    N_("Custom Stylesheet"),
    N_("Purge all"),
    N_("Purge deleted datasets, organizations or groups forever and irreversibly."),
    N_("Deleted datasets"),
    N_("Deleted organizations"),
    N_("Deleted groups"),
    N_("There are no datasets to purge"),
    N_("There are no organizations to purge"),
    N_("There are no groups to purge"),
    N_("Are you sure you want to purge everything?"),
    N_("Are you sure you want to purge datasets?"),
    N_("Are you sure you want to purge organizations?"),
    N_("Are you sure you want to purge groups?"),
    N_("{number} datasets have been purged"),
    N_("{number} organizations have been purged"),
    N_("{number} groups have been purged"),
    N_("<p>As a sysadmin user you have full control over this CKAN instance. Proceed with "
       "care!</p> <p>For guidance on using sysadmin features, see the CKAN <a "
       "href=\"%(docs_url)s\" target=\"_blank\" rel=\"noreferrer\">sysadmin guide</a></p>"),
    N_("<p><strong>Site Title:</strong> This is the title of this CKAN instance It appears "
       "in various places throughout CKAN.</p> <p><strong>Custom Stylesheet:</strong> "
       "Define an alternative main CSS file.</p> <p><strong>Site Tag Logo:</strong> This is "
       "the logo that appears in the header of all the CKAN instance templates.</p> "
       "<p><strong>About:</strong> This text will appear on this CKAN instances <a "
       "href=\"%(about_url)s\">about page</a>.</p> <p><strong>Intro Text:</strong> This text "
       "will appear on this CKAN instances <a href=\"%(home_url)s\">home page</a> as a "
       "welcome to visitors.</p> <p><strong>Custom CSS:</strong> This is a block of CSS that "
       "appears in <code>&lt;head&gt;</code> tag of every page. If you wish to customize the "
       "templates more fully we recommend <a href=\"%(docs_url)s\" target=\"_blank\" "
       "rel=\"noreferrer\">reading the documentation</a>.</p>"),
    # core's ja reads 「すでに削除されています」 ("was deleted before"): after a deletion
    # the user just confirmed, it looks like an error
    N_("Dataset has been deleted."),
    N_("Resource has been deleted."),
    N_("%s has been deleted."),
)

# --- ckanext-activity (ckanext/activity/templates): activity streams, /ckan-admin tab ------
ACTIVITY = (
    N_("Activities"),
    N_("Unauthorized to view activity data"),
    N_("Activity not found"),
    N_("The detail of this dataset activity is not available"),
    N_("Invalid parameters"),
    N_("All activity types"),
    N_("Activity occurred on: {time}"),
    N_("View this version"),
    N_("No activity found"),
    N_("No activity found for this type"),
    N_("Newer activities"),
    N_("Older activities"),
    N_("harvest source"),  # the type named in the stream (harvest helpers.humanize_entity_type)
    N_("Search followee"),
    N_("{actor} created the {dataset_type} {dataset}"),
    N_("{actor} updated the {dataset_type} {dataset}"),
    N_("{actor} deleted the {dataset_type} {dataset}"),
    N_("{actor} created resource view {view_link}"),
    N_("{actor} updated resource view {view_link}"),
    N_('{actor} deleted resource view "{view_title}" for resource {resource_link}'),
    # the sysadmin's activity purge tab (/ckan-admin/activities)
    N_("Purge activities by age. Use 'ckan clean activities' via CLI for more options."),
    N_("Purge activity stream entries by age. Each option shows how many activities would be "
       "deleted. Purging is irreversible."),
    N_("Delete activities older than a day"),
    N_("Delete {count} activities older than a day? This cannot be undone."),
    N_("Delete activities older than a month"),
    N_("Delete {count} activities older than a month? This cannot be undone."),
    N_("Delete activities older than a year"),
    N_("Delete {count} activities older than a year? This cannot be undone."),
    N_("Delete all activities"),
    N_("Delete all {count} activities? This cannot be undone."),
    N_("Delete all"),
    # the activity type filter (snippets/activity_type_selector.html, overridden to translate)
    N_("new package"),
    N_("changed package"),
    N_("deleted package"),
    N_("follow dataset"),
    N_("new resource view"),
    N_("changed resource view"),
    N_("deleted resource view"),
    N_("new user"),
    N_("changed user"),
    N_("follow user"),
    N_("new group"),
    N_("changed group"),
    N_("deleted group"),
    N_("follow group"),
    N_("new organization"),
    N_("changed organization"),
    N_("deleted organization"),
    N_("follow organization"),
)

# --- ckanext-harvest (templates, views, helpers): the harvest admin -----------------------
HARVEST = (
    N_("Harvest"),
    N_("Harvest Sources"),
    N_("Harvest sources"),
    N_("Add Harvest Source"),
    N_("Create Harvest Source"),
    N_("Create harvest source"),
    N_("Edit harvest source"),
    N_("View harvest source"),
    N_("Search harvest sources..."),
    N_("Harvest sources allow importing remote metadata into this catalog. Remote sources can "
       "be other catalogs such as other CKAN instances, CSW servers or Web Accessible Folders "
       "(WAF) (depending on the actual harvesters enabled for this instance)."),
    N_("There is no description for this harvest source"),
    N_("There are no datasets associated to this harvest source."),
    N_("Sorry no harvest sources found"),
    N_('Sorry no harvest sources found for "{query}"'),
    ungettext("{number} harvest source found", "{number} harvest sources found", 2),
    ungettext('{number} harvest source found for "{query}"',
             '{number} harvest sources found for "{query}"', 2),
    N_("No harvests found"),
    N_('No harvests found for "{query}"'),
    ungettext("{number} harvest found", "{number} harvests found", 2),
    ungettext('{number} harvest found for "{query}"', '{number} harvests found for "{query}"',
             2),
    N_("Reharvest"),
    N_("Start a new harvesting job for this harvest source now"),
    N_("This will re-run the harvesting for this source. Any updates at the source will "
       "overwrite the local datasets. Sources with a large number of datasets may take a "
       "significant amount of time to finish harvesting. Please confirm you would like us to "
       "start reharvesting."),
    N_("Stop"),
    N_("Clear"),
    N_("Delete all harvest jobs and existing datasets from this source"),
    N_("Warning: This will remove all datasets for this source, as well as all previous job "
       "reports. Are you sure you want to continue?"),
    N_("Jobs"),
    N_("Harvest Jobs"),
    N_("Last Harvest Job"),
    N_("No jobs yet for this source"),
    N_("View full job report"),
    N_("Job: "),
    N_("Started:"),
    N_("Finished:"),
    N_("Not yet"),
    N_("Id"),
    N_("Started"),
    N_("Finished"),
    N_("Count"),
    N_("Message"),
    N_("errors"),
    N_("added"),
    N_("updated"),
    N_("not modified"),
    N_("Configuration"),
    N_("No organization"),
    N_("This should include the http:// part of the URL"),
    N_("This will flag the source as deleted but keep all its datasets and previous jobs. "
       "Are you sure you want to delete this harvest source?"),
    N_("Delete and clear source"),
    N_("Active"),
    N_("Inactive"),
    # job statuses (HarvestJob.status) and source frequencies (h.harvest_frequencies)
    N_("New"),
    N_("Running"),
    N_("Manual"),
    N_("Monthly"),
    N_("Weekly"),
    N_("Biweekly"),
    N_("Daily"),
    N_("Always"),
    # ckanext/harvest/utils.py flash messages
    N_("Harvest job not found"),
    N_("Harvest job stopped"),
    N_("Harvest will start shortly. Refresh this page for updates."),
    N_('Cannot create new harvest jobs on inactive sources. First, please change the source '
       'status to "active".'),
    N_("A harvest job has already been scheduled for this source"),
    N_("Harvest source cleared"),
    N_("Harvesting source successfully cleared"),
    N_("Harvesting source successfully inactivated"),
    N_("No content found"),
)

# --- ckanext-scheming: the dataset and organization forms ----------------------------------
SCHEMING = (
    N_("Next"),
    N_("Update {page}"),
    N_("Select at least one"),
    N_("Are you sure you want to delete this Organization?"),
    N_("These fields have been removed, click update below to save your changes."),
    N_("These fields have been removed."),
    N_("Page not found"),
)

# --- ckanext-dcat: the DCAT harvester's name and the DCAT field labels ---------------------
DCAT = (
    N_("Generic DCAT RDF Harvester"),
    N_("Harvester for DCAT datasets from an RDF graph"),
    N_("Frequency"),
    N_("Identifier"),
    N_("Alternate identifier"),
    N_("Issued"),
    N_("Modified"),
    N_("Version notes"),
    N_("Conforms to"),
    N_("Spatial URI"),
    N_("Start of temporal extent"),
    N_("End of temporal extent"),
    N_("Publisher name"),
    N_("Publisher email"),
    N_("Publisher URL"),
    N_("Publisher URI"),
    N_("Publisher type"),
    N_("Publisher identifier"),
    N_("Creator name"),
    N_("Creator email"),
    N_("Creator URL"),
    N_("Creator URI"),
    N_("Creator type"),
    N_("Creator identifier"),
    N_("Contact name"),
    N_("Contact URI"),
    N_("Download URL"),
    N_("Media type"),
    N_("Size"),
    N_("Rights"),
)

# --- ckanext-activity: the changes page (/dataset/changes/<id>) and old versions ---------
ACTIVITY_CHANGES = (
    N_("View changes from %(old_select)s to %(new_select)s"),
    N_("Show metadata diff"),
    N_("Hide metadata diff"),
    N_("On %(timestamp)s, %(username)s:"),
    N_("You're currently viewing an old version of this dataset. Data files may not "
       "match the old version of the metadata. <a href=\"%(url)s\">View the current "
       "version</a>."),
    N_("{actor} {activity_type}"),
    N_("Set author of {pkg_link} to {new_author} (previously {old_author})"),
    N_("Set author of {pkg_link} to {new_author}"),
    N_("Removed author from {pkg_link}"),
    N_("No fields were updated. See the metadata diff for more details."),
    N_("Set author email of <a href=\"%(pkg_link)s\">%(title)s</a> to <a "
       "href=\"mailto:%(new_email)s\">%(new_email)s</a> (previously <a "
       "href=\"mailto:%(old_email)s\">%(old_email)s</a>)."),
    N_("Set author email of <a href=\"%(pkg_link)s\">%(title)s</a> to <a "
       "href=\"mailto:%(new_email)s\">%(new_email)s</a>."),
    N_("Removed author email from <a href=\"%(pkg_link)s\">%(title)s</a>."),
    N_("Deleted resource {resource_link} from {pkg_link}"),
    N_("Changed value of field <q>{key}</q> to <q>{value}</q> in {pkg_link}"),
    N_("Added field <q>{key}</q> with value <q>{value}</q> to {pkg_link}"),
    N_("Added field <q>{key}</q> to {pkg_link}"),
    N_("Added the following fields to {pkg_link}"),
    N_("{key} with value {value}"),
    N_("{key}"),
    N_("Changed value of field <q>{key}</q> to <q>{new_val}</q> (previously "
       "<q>{old_val}</q>) in {pkg_link}"),
    N_("Changed value of field <q>{key}</q> to <q>{new_val}</q> in {pkg_link}"),
    N_("Removed field <q>{key}</q> from {pkg_link}"),
    N_("Removed the following fields from {pkg_link}"),
    N_("<q>{key}</q>"),
    N_("Changed the license of <a href=\"%(pkg_link)s\">%(title)s</a> to <a "
       "href=\"%(new_url)s\">%(new_license)s</a> (previously <a "
       "href=\"%(old_url)s\">%(old_license)s</a>)."),
    N_("Changed the license of <a href=\"%(pkg_link)s\">%(title)s</a> to <a "
       "href=\"%(new_url)s\">%(new_license)s</a> (previously %(old_license)s)."),
    N_("Changed the license of <a href=\"%(pkg_link)s\">%(title)s</a> to "
       "%(new_license)s (previously <a href=\"%(old_url)s\">%(old_license)s</a>)."),
    N_("Changed the license of <a href=\"%(pkg_link)s\">%(title)s</a> to "
       "%(new_license)s (previously %(old_license)s)."),
    N_("Set maintainer of {pkg_link} to {new_maintainer} (previously {old_maintainer})"),
    N_("Set maintainer of {pkg_link} to {new_maintainer}"),
    N_("Removed maintainer from {pkg_link}"),
    N_("Set maintainer email of <a href=\"%(pkg_link)s\">%(title)s</a> to <a "
       "href=\"mailto:%(new_maintainer_email)s\">%(new_maintainer_email)s</a> "
       "(previously <a "
       "href=\"mailto:%(old_maintainer_email)s\">%(old_maintainer_email)s</a>)."),
    N_("Set maintainer email of <a href=\"%(pkg_link)s\">%(title)s</a> to <a "
       "href=\"mailto:%(new_maintainer_email)s\">%(new_maintainer_email)s</a>."),
    N_("Removed maintainer email from <a href=\"%(pkg_link)s\">%(title)s</a>."),
    N_("Moved <a href=\"%(pkg_link)s\">%(title)s</a> from <a "
       "href=\"%(old_url)s\">%(old_url)s</a> to <a "
       "href=\"%(new_url)s\">%(new_url)s</a>."),
    N_("Uploaded a new file to resource {resource_link} in {pkg_link}"),
    N_("Added resource {resource_link} to {pkg_link}"),
    N_("Updated description of {pkg_link} from <br "
       "class=\"line-height2\"><blockquote>{old_notes}</blockquote> to <br "
       "class=\"line-height2\"><blockquote>{new_notes}</blockquote>"),
    N_("Updated description of {pkg_link} to <br "
       "class=\"line-height2\"><blockquote>{new_notes}</blockquote>"),
    N_("Removed description from {pkg_link}"),
    N_("Moved {pkg_link} from organization {old_org_link} to organization {new_org_link}"),
    N_("Removed {pkg_link} from organization {old_org_link}"),
    N_("Added {pkg_link} to organization {new_org_link}"),
    N_("Set visibility of {pkg_link} to {visibility}"),
    N_("Updated description of resource {resource_link} in {pkg_link} to <br "
       "class=\"line-height2\"><blockquote>{new_desc}</blockquote>"),
    N_("Removed description from resource {resource_link} in {pkg_link}"),
    N_("Updated description of resource {resource_link} in {pkg_link} from <br "
       "class=\"line-height2\"><blockquote>{old_desc}</blockquote> to <br "
       "class=\"line-height2\"><blockquote>{new_desc}</blockquote>"),
    N_("Added field <q>{key}</q> with value <q>{value}</q> to resource "
       "{resource_link} in {pkg_link}"),
    N_("Added field <q>{key}</q> to resource {resource_link} in {pkg_link}"),
    N_("Added the following fields to resource {resource_link} in {pkg_link}"),
    N_("Removed field <q>{key}</q> from resource {resource_link} in {pkg_link}"),
    N_("Removed the following fields from resource {resource_link} in {pkg_link}"),
    N_("Changed value of field <q>{key}</q> of resource {resource_link} to "
       "<q>{new_val}</q> (previously <q>{old_val}</q>) in {pkg_link}"),
    N_("Changed value of field <q>{key}</q> to <q>{new_val}</q> in resource "
       "{resource_link} in {pkg_link}"),
    N_("Removed the value of field <q>{key}</q> in resource {resource_link} in {pkg_link}"),
    N_("Set format of resource <a href=\"%(resource_url)s\">%(resource_name)s</a> to "
       "<a href=\"%(format_url)s\">%(format)s</a> in <a "
       "href=\"%(pkg_link)s\">%(title)s</a>."),
    N_("Set format of resource <a href=\"%(resource_url)s\">%(resource_name)s</a> to "
       "<a href=\"%(new_format_url)s\">%(new_format)s</a> (previously <a "
       "href=\"%(old_format_url)s\">%(old_format)s</a>)."),
    N_("Renamed resource {old_resource_link} to {new_resource_link} in {pkg_link}"),
    N_("Removed tag {tag_link} from {pkg_link}"),
    N_("Removed the following tags from {pkg_link}"),
    N_("{tag_link}"),
    N_("Added tag {tag_link} to {pkg_link}"),
    N_("Added the following tags to {pkg_link}"),
    N_("Changed title to {title_link} (previously {old_title})"),
    N_("Changed the source URL of <a href=\"%(pkg_link)s\">%(title)s</a> from <a "
       "href=\"%(old_src_url)s\">%(old_src_url)s</a> to <a "
       "href=\"%(new_src_url)s\">%(new_src_url)s</a>."),
    N_("Removed the source URL from <a href=\"%(pkg_link)s\">%(title)s</a>."),
    N_("Changed the source URL of <a href=\"%(pkg_link)s\">%(title)s</a> to <a "
       "href=\"%(new_src_url)s\">%(new_src_url)s</a>."),
    N_("Changed the version of {pkg_link} to {new_version} (previously {old_version})"),
    N_("Removed the version from {pkg_link}"),
    N_("Changed the version of {pkg_link} to {new_version}"),
    N_("Updated description of {group_link} from <br "
       "class=\"line-height2\"><blockquote>{old_description}</blockquote> to <br "
       "class=\"line-height2\"><blockquote>{new_description}</blockquote>"),
    N_("Updated description of {group_link} to <br "
       "class=\"line-height2\"><blockquote>{new_description}</blockquote>"),
    N_("Removed description from {group_link}"),
    N_("Changed the image URL of <a href=\"%(group_link)s\">%(title)s</a> from <a "
       "href=\"%(old_url)s\">%(old_url)s</a> to <a "
       "href=\"%(new_url)s\">%(new_url)s</a>."),
    N_("Removed the image URL from <a href=\"%(group_link)s\">%(title)s</a>."),
    N_("Changed the image URL of <a href=\"%(group_link)s\">%(title)s</a> to <a "
       "href=\"%(new_url)s\">%(new_url)s</a>."),
    N_("Updated description of {org_link} from <br "
       "class=\"line-height2\"><blockquote>{old_description}</blockquote> to <br "
       "class=\"line-height2\"><blockquote>{new_description}</blockquote>"),
    N_("Updated description of {org_link} to <br "
       "class=\"line-height2\"><blockquote>{new_description}</blockquote>"),
    N_("Removed description from {org_link}"),
    N_("Changed the image URL of <a href=\"%(org_link)s\">%(title)s</a> from <a "
       "href=\"%(old_url)s\">%(old_url)s</a> to <a "
       "href=\"%(new_url)s\">%(new_url)s</a>."),
    N_("Removed the image URL from <a href=\"%(org_link)s\">%(title)s</a>."),
    N_("Changed the image URL of <a href=\"%(org_link)s\">%(title)s</a> to <a "
       "href=\"%(new_url)s\">%(new_url)s</a>."),
)

# --- CKAN core's JavaScript (ckan.i18n._ in notify, confirm, htmx, autocomplete, upload,
# reorder, datatables_view): CKAN builds each language's JS catalog from every ITranslation
# plugin's catalog for the msgids its own template marks as JS strings
# (``ckan.lib.i18n.build_js_translations``), so translating them here reaches the browser.
JAVASCRIPT = (
    N_("Please Confirm"),
    N_("Notification"),
    N_("Close"),
    ungettext("Input is too short, must be at least one character",
              "Input is too short, must be at least %(num)d characters", 2),
    N_("Searching..."),
    N_("Please select the file to upload again"),
    N_("You can rearrange the resources by dragging them using the arrow icon. Drag the "
       "resource to the right and place it to the desired location on the list. When you are "
       "done, click the \"Save order\" -button."),
    N_("Reorder resource view"),
    N_("Print"),
    N_("TABLE FILTER"),
    N_("COLUMN FILTER/S"),
    N_("seconds"),
    N_("Double-click to reset filters"),
    N_("Table/List toggle"),
    N_("Copy to clipboard"),
    N_("Toggle column visibility"),
    N_("Restore visibility"),
    N_("Show all"),
    N_("Show none"),
    N_("Filtered"),
    N_("Filtered download"),
    N_("Share current view"),
    N_("Copied deeplink to clipboard"),
    N_("(estimated)"),
    N_("Sort"),
    N_("Press SHIFT key while clicking on\nsort control for multi-column sort"),
)

# --- select2's own words (the tag and organization pickers), given to it by tdpf_schema's
# page template because its ja file lacks them.
SELECT2 = (
    N_("Remove item"),
    N_("Remove all items"),
)
