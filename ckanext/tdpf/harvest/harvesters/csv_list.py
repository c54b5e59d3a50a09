"""``tdpf_csv_list``: a CSV list of datasets, such as 自治体標準オープンデータセット A-06
オープンデータ一覧, in any encoding (UTF-8 with or without BOM, CP932, UTF-16)."""
from __future__ import annotations

import csv
import io
import itertools
from typing import Any, Iterator

import ckan.plugins as p
from ckanext.harvest.interfaces import IHarvester

from ckanext.tdpf.lib import encoding, municipalities
from ckanext.tdpf.lib import vocabularies as vocab
from ckanext.tdpf.lib.i18n import N_, Message

from ..http import Client, FetchFailed
from .base import ListingFailed, Record, TDPFHarvester

# Our field → the column names municipalities use for it (first found wins). A source's
# config "columns" overrides any of them.
COLUMNS = {
    "code": ("全国地方公共団体コード", "地方公共団体コード", "団体コード"),
    "publisher": ("地方公共団体名", "提供者", "作成者", "公開者"),
    "id": ("データセットID", "データセット_ID", "ID", "NO", "No"),
    "title": ("データセット_名称", "データセット名", "名称", "タイトル", "データ名称"),
    "notes": ("データセット_概要", "概要", "説明", "内容"),
    "theme": ("データセット_分類", "分類", "カテゴリ", "カテゴリー", "分野"),
    "keywords": ("キーワード", "タグ"),
    "license": ("ライセンス", "利用規約"),
    "frequency": ("更新頻度",),
    "url": ("URL", "ファイルURL", "データURL", "ダウンロードURL", "リソース_URL"),
    "resource_name": ("ファイル名", "リソース_名称", "データ名"),
    "format": ("ファイル形式", "形式", "フォーマット", "データ形式"),
    "page": ("掲載ページURL", "ページURL", "出典"),
}


class CSVListHarvester(TDPFHarvester, p.SingletonPlugin):
    p.implements(IHarvester)

    source_type = "tdpf_csv_list"
    title = "TDPF: CSV データセット一覧"
    description = ("自治体標準オープンデータセット「オープンデータ一覧」などの CSV 一覧から収集します"
                   "（UTF-8・BOM付き・Shift_JIS・UTF-16 に対応）。")

    def records(self, source_url: str, config: dict[str, Any], client: Client
                ) -> Iterator[Record | Exception]:
        try:
            content = client.get(source_url)
        except FetchFailed as error:
            raise ListingFailed(error.message) from None
        try:
            text = encoding.decode(content, config["encoding"])
        except encoding.UnknownEncoding as error:
            raise ListingFailed(Message(str(error))) from None
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [name.strip() for name in reader.fieldnames or []]
        columns = self._columns(header, config["columns"])
        if not columns.get("title") or not columns.get("url"):
            raise ListingFailed(Message(N_("the list has no title or URL column (columns: "
                                           "{columns})"), columns=", ".join(header)[:300]))
        reader.fieldnames = header
        rows = list(reader)
        key = (lambda r: self._value(r, columns, "id") or self._value(r, columns, "title"))
        for dataset_key, group in itertools.groupby(rows, key=key):
            yield self._record(dataset_key, list(group), columns, config, source_url)

    @staticmethod
    def _columns(header: list[str], overrides: dict[str, str]) -> dict[str, str]:
        found = {field: next((name for name in names if name in header), None)
                 for field, names in COLUMNS.items()}
        found.update({field: name for field, name in overrides.items() if name in header})
        return {field: name for field, name in found.items() if name}

    @staticmethod
    def _value(row: dict, columns: dict[str, str], field: str) -> str:
        name = columns.get(field)
        return (row.get(name) or "").strip() if name else ""

    def _record(self, dataset_key: str, rows: list[dict], columns: dict[str, str],
                config: dict[str, Any], source_url: str) -> Record | Exception:
        first = rows[0]
        value = lambda field: self._value(first, columns, field)  # noqa: E731
        try:
            if not dataset_key or not value("title"):
                raise ValueError("a row without a title")
            code = value("code").zfill(6) if value("code") else ""
            organization = self._organization_for(code, value("publisher"), config)
            themes = [theme for theme in (config["theme_map"].get(t.strip()) for t in
                      value("theme").replace("、", ",").split(",")) if theme]
            dataset = {
                "title": value("title")[:500],
                "notes": value("notes"),
                "tdpf_theme": list(dict.fromkeys(themes)) or list(config["default_themes"]),
                "license_id": (config["license_map"].get(value("license"))
                               or vocab.normalize_license(value("license"))
                               or config["default_license"] or "own-terms"),
                "url": value("page") if value("page").startswith("http") else "",
                "tags": [{"name": word.strip()} for word in
                         value("keywords").replace("、", ",").split(",")
                         if 2 <= len(word.strip()) <= 100],
                "resources": [{
                    "url": self._value(row, columns, "url"),
                    "name": self._value(row, columns, "resource_name") or value("title"),
                    "format": vocab.normalize_format(self._value(row, columns, "format"),
                                                     self._value(row, columns, "url")),
                } for row in rows if self._value(row, columns, "url")],
            }
            frequency = vocab.normalize_frequency(value("frequency"))
            if frequency:
                dataset["update_frequency"] = frequency
            remote_id = f"{code}-{dataset_key}" if code else dataset_key
            return Record(remote_id=remote_id[:200], dataset=dataset,
                          organization=organization, url=source_url)
        except ValueError as error:
            return ValueError(f"{dataset_key or '?'}: {error}")

    @staticmethod
    def _organization_for(code: str, publisher: str, config: dict[str, Any]) -> dict[str, Any]:
        if config["organization"]:
            spec = config["organization"]
            return {key: value for key, value in {
                "name": spec["name"], "title": spec.get("title") or spec["name"],
                "tdpf_provider_type": spec.get("provider_type"),
                "municipality_code": spec.get("municipality_code")}.items() if value}
        found = municipalities.lookup(code) if code else None
        if found is None:
            raise ValueError(f"no valid municipality code ({code or 'empty'}) and no "
                             "organization in the source config")
        kind = ("metropolitan_government" if code == municipalities.TOKYO else
                "public_agency" if municipalities.is_prefecture(code) else "municipality")
        return {"name": f"t{code}", "title": publisher or found.name,
                "tdpf_provider_type": config["provider_type"] or kind,
                "municipality_code": code}
