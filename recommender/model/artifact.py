"""The model folder: ``save(model, path)``, ``load(path)`` and ``publish(src, path)``.

A model folder holds versions (``layout``): ``MODEL/current`` links to
``MODEL/versions/<n>-<model version>/``, a complete model; a save writes a new version and
swaps the link, so the path always holds a complete model (``MODEL/meta.json`` links to the
current version's, for readers of that file). One version holds (no pickle;
every array loads with ``numpy.load(..., mmap_mode="r")``)::

    meta.json              format version, model + parameters, data fingerprint and counts,
                           creation time, library versions, the list of user attributes, and
                           ``files``: every other file's size and SHA-256
    user_factors.npy       (n_users, f) float32
    film_factors.npy       (n_films, f) float32
    user_ids.npy           (n_users,) unicode
    film_ids.npy           (n_films,) unicode
    seen_indptr.npy, seen_indices.npy                  users x films training CSR (structure)
    seen_by_film_indptr.npy, seen_by_film_indices.npy  its films x users transpose
    film_titles.npy, film_years.npy, film_genres.npy   catalog, aligned to film_ids
    user_attr_<name>.npy   one unicode array per user attribute, aligned to user_ids (a "/",
                           "\\" or NUL of the name spelt %2F, %5C, %00: columns.attribute_array)
    user_segments.npy      (n_users,) int16
    segments.json          segment descriptions
    calibration.json       calibrated p: model, per-film counts, horizon (see calibration.py);
                           the model's optional ``cov`` (calibration_interval.py)
    fold_in_projection.npy (n_films, f) float32, EASE family only: a user's confidence row
                           times it is the user's vector; required when ``params.family`` is
                           "ease" (absent for ALS and in folders written before families)
    film_prior.npy         (n_films,) float32, the popularity prior (``prior.py``): present
                           and required when ``params.popularity`` > 0
    unfitted_indptr.npy, unfitted_indices.npy  seen pairs not fitted (``fitted.py``), if any
    cinemas.csv            optional (``save(extra=...)``): the training data's cinema table
                           (``recommender train``), checked and published as any other file

Every file is flushed to disk before the version becomes current, so a crash or a SIGKILL
at any point leaves the previous model or the new one (tests/model/test_artifact_layout.py
kills a save at every step). ``load`` checks every file against its recorded size and SHA-256,
and meta.json against its own (``files.SELF``): a folder altered on disk is refused naming the
file. A flat folder (written before versions) still loads, one without ``files`` unchecked;
a save over one keeps its model, when it has ``files`` and looks whole, as the first version.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from recommender.errors import ArtifactError, InvalidParameterError
from recommender.io.atomic import not_in_a_model
from recommender.io.columns import attribute_array
from recommender.io.dataset import Catalog, UserTable
from recommender.io.ids import IdMap
from recommender.model import fitted, flat, layout
from recommender.model.artifact_checks import (
    _check_files,
    _csr,
    _expect,
    _popularity,
    format_version,  # noqa: F401 (re-exported: meta and the tests import it from here)
)
from recommender.model.files import (
    FILES,
    META,
    json_file,
    npy_file,
    raw_file,
    sealed,
    unsealed,
    verify_file,
    write_flushed,
)
from recommender.model.files import file_sha256 as file_sha256  # tests, benchmarks
from recommender.model.model import Model, Segments
from recommender.model.staging import staged

# the model folder layout; bump when a file or a field changes meaning. A folder records the
# oldest version that reads it fully (``format_version``), so an older worker refuses a folder
# it would serve differently rather than dropping what it does not know:
#   1: the layout below without film_prior.npy
#   2: film_prior.npy (a popularity weight > 0), which a version-1 reader would ignore
#   3: unfitted_*.npy (fitted.py), which an older reader would ignore and cite those films
FORMAT_VERSION = 3
READABLE_VERSIONS = tuple(range(1, FORMAT_VERSION + 1))
PROJECTION = "fold_in_projection"  # optional array (EASE family): films x factors
PRIOR = "film_prior"  # optional array (a popularity weight > 0): one value per film
REQUIRED = (
    "user_factors.npy", "film_factors.npy", "user_ids.npy", "film_ids.npy",
    "seen_indptr.npy", "seen_indices.npy", "seen_by_film_indptr.npy",
    "seen_by_film_indices.npy", "film_titles.npy", "film_years.npy", "film_genres.npy",
    "user_segments.npy", "segments.json", "calibration.json",
)


def save(model: Model, path: str | os.PathLike[str], keep: int = layout.KEEP,
         extra: dict[str, Path] | None = None, on_swap: layout.OnSwap | None = None) -> Path:
    """Write ``model`` as a new version of the model folder ``path`` and make it the current
    one (created if missing; a flat folder is migrated); returns the path. Keeps the newest
    ``keep`` versions. ``extra`` ({file name: source file}) copies files into the version.
    ``on_swap``: ``layout.new_version``'s (the new version and the one it replaced)."""
    dest = _writable(path)
    # one index dtype for indptr and indices, so scipy wraps the memory-mapped arrays as they are
    idx = np.int32 if model.seen.nnz < 2**31 - 1 else np.int64
    with layout.new_version(dest, model.version, flat.files, keep, (META,),
                            looks_complete, flat.label, on_swap) as tmp:
        arrays: dict[str, NDArray[Any]] = {
            "user_factors": np.ascontiguousarray(model.user_factors, np.float32),
            "film_factors": np.ascontiguousarray(model.film_factors, np.float32),
            "user_ids": np.asarray(model.users.ids, dtype=str),
            "film_ids": np.asarray(model.films.ids, dtype=str),
            "seen_indptr": np.asarray(model.seen.indptr, idx),
            "seen_indices": np.asarray(model.seen.indices, idx),
            "seen_by_film_indptr": np.asarray(model.seen_by_film.indptr, idx),
            "seen_by_film_indices": np.asarray(model.seen_by_film.indices, idx),
            "film_titles": np.asarray(model.catalog.titles, dtype=str),
            "film_years": np.asarray(model.catalog.years, np.int32),
            "film_genres": np.asarray(model.catalog.genres, dtype=str),
            "user_segments": np.asarray(model.segments.labels, np.int16),
        }
        for name, values in model.user_table.attributes.items():
            arrays[attribute_array(name)] = np.asarray(values, dtype=str)
        if model.fold_in_projection is not None:
            arrays[PROJECTION] = np.ascontiguousarray(model.fold_in_projection, np.float32)
        if model.film_prior is not None:
            arrays[PRIOR] = np.ascontiguousarray(model.film_prior, np.float32)
        arrays.update(fitted.arrays(model))
        files: dict[str, dict[str, Any]] = {}
        for name, arr in arrays.items():
            files[f"{name}.npy"] = write_flushed(tmp / f"{name}.npy", npy_file(arr))
        for name, obj in (("segments.json", model.segments.info),
                          ("calibration.json", model.calibration)):
            files[name] = write_flushed(tmp / name, json_file(obj))
        for name, source in (extra or {}).items():
            if name in files or name == META or Path(name).name != name:
                raise ArtifactError(f"{name!r} cannot be added to a model folder")
            files[name] = write_flushed(tmp / name, raw_file(source.read_bytes()))
        meta = {k: v for k, v in model.meta.items() if k != FILES}
        meta["user_attributes"] = sorted(model.user_table.attributes)
        meta["factors"] = int(model.user_factors.shape[1]) - model.bias_columns  # as trained
        meta[FILES] = files
        write_flushed(tmp / META, json_file(sealed(meta)))
    return dest


def publish(src: str | os.PathLike[str], path: str | os.PathLike[str],
            keep: int = layout.KEEP, within: Path | None = None,
            on_swap: layout.OnSwap | None = None) -> Path:
    """Make the model at ``src`` (a model folder, or one version of one) the current version
    of the model folder ``path``: its files are checked (``load``), hard-linked into a new
    version (copied across file systems), checked again there, and the version is swapped in
    like a save. Returns the path. Raises ``ArtifactError`` when ``src`` is no valid model.
    ``within`` (resolved; the server's models root): the version and each file linked must
    lie in it once links are followed, checked as they are read (a link swapped after the
    request was checked brought a model from outside). ``on_swap``: as ``save``'s, called only
    when a version is swapped in (not when ``path`` serves that model already)."""
    dest = _writable(path)
    folder = _inside(layout.resolve(src), within)
    if within is not None and folder.is_dir():  # read from a private copy (``staging``): a
        with staged(folder, within, dest) as copy:  # file swapped after its check is not read
            return publish(copy, dest, keep, on_swap=on_swap)
    model = load(folder, mmap=True)
    try:
        recorded = json.loads((folder / META).read_text(encoding="utf-8")).get(FILES)
    except (OSError, ValueError, AttributeError):
        recorded = None
    if not isinstance(recorded, dict):  # written before checksums: write it anew, with them
        return save(model, dest, keep, on_swap=on_swap)
    names = [META, *recorded]
    published = (folder / META).read_bytes()

    def kept_apart(version: Path) -> bool:
        """Whether ``version`` counts toward the versions kept: it looks whole and holds
        another model than the one published (a rollback's source is a copy of the new
        current one, no version to roll back to: counted, it pushed the last other model that
        loads out, beside a damaged current one)."""
        try:
            same = (version / META).read_bytes() == published
        except OSError:
            same = False
        return looks_complete(version) and not same

    with layout.new_version(dest, model.version, flat.files, keep, (META,),
                            kept_apart, flat.label, on_swap) as tmp:
        if _serves_already(dest, folder):  # a repeated reload (asked under the lock: two at
            raise layout.NothingToWriteError  # once made two copies): no copy of the current
        for name in names:
            source = str(_inside(folder / name, within))
            try:
                os.link(source, tmp / name)
            except OSError:  # another file system, or links not allowed: copy and flush
                shutil.copyfile(source, tmp / name)
                with open(tmp / name, "rb+") as f:
                    os.fsync(f.fileno())
            layout.step(f"linked {name}")
        load(tmp, mmap=True)  # what was linked is what was checked (src may change meanwhile)
    return dest


def _inside(path: Path, within: Path | None) -> Path:
    """``path`` with its links followed; ``ArtifactError`` (naming no path) when ``within`` is
    given and it lies outside it."""
    real = Path(os.path.realpath(path))
    if within is not None and not real.is_relative_to(within):
        raise ArtifactError("the model named lies outside the models root "
                            "(RECOMMENDER_MODELS_ROOT) once its links are followed")
    return real


def _serves_already(dest: Path, src: Path) -> bool:
    """Whether ``dest``'s current version is the model at ``src`` (the same ``meta.json``, which
    records every file's SHA-256) and loads whole: a copy would push the rollback version out
    of the kept ones (a reload retried left two copies of one model and no other)."""
    current = layout.resolve(dest) if layout.is_versioned(dest) else None
    try:  # MODEL/current itself is already served (``publish`` checked it)
        return current is not None and (current.resolve() == src.resolve() or (
            (current / META).read_bytes() == (src / META).read_bytes()
            and load(current, mmap=True) is not None))
    except (OSError, ArtifactError):
        return False


def looks_complete(version: Path) -> bool:
    """Whether a version folder reads as whole, cheaply (what retention counts as a version to
    roll back to): its ``meta.json`` is readable, unaltered (its seal), of a format this library
    reads, and every file it lists is there with the size recorded (``load`` also checks the
    SHA-256)."""
    try:
        meta = unsealed(json.loads((version / META).read_text(encoding="utf-8")), version / META)
        files = meta[FILES]
        return (meta.get("format_version") in READABLE_VERSIONS and isinstance(files, dict)
                and all((version / name).stat().st_size == info["bytes"]
                        for name, info in files.items()))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, ArtifactError):
        return False


def check_destination(path: str | os.PathLike[str]) -> Path:
    """``ArtifactError`` now when ``save`` would refuse ``path`` (a file, a non-empty folder not
    a model, or inside one), ``OSError`` when it cannot write there: checked before training."""
    return layout.check_writable(_writable(path))


def _writable(path: str | os.PathLike[str]) -> Path:
    dest = Path(path)
    try:  # MODEL/current or a version: a save there left MODEL without a model that loads
        not_in_a_model(dest)
    except InvalidParameterError as e:
        raise ArtifactError(f"{dest}: cannot hold a new model: {e}") from None
    if dest.exists() and not dest.is_dir():
        raise ArtifactError(f"{dest}: exists and is not a folder")
    if dest.is_dir() and not layout.owns(dest, META):
        raise ArtifactError(f"{dest}: is a non-empty folder that is not a model; "
                            "refusing to overwrite it")
    return dest


def artifact_size(path: str | os.PathLike[str]) -> int:
    """Total bytes of the files of the model at ``path`` (its current version)."""
    folder = layout.resolve(path)
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


# loads that a save overtook start again on the new version; saves that follow one another
# faster than a load (a slow disk, a busy machine) get this many tries
LOAD_ATTEMPTS = 20


def load(path: str | os.PathLike[str], mmap: bool = True, verify: bool = True) -> Model:
    """Load and validate a model folder (its current version, or a flat folder), arrays
    memory-mapped read-only by default. Raises ``ArtifactError`` naming what is wrong: a
    missing folder or file, an unreadable or wrong-version ``meta.json``, a file whose size or
    SHA-256 differs from the one ``meta.json`` recorded (unless ``verify=False``), or arrays
    whose shapes disagree. A save that swaps the version while this reads makes it start
    again on the new one."""
    for attempt in range(LOAD_ATTEMPTS):
        folder = layout.resolve(path)
        try:
            return _load_folder(Path(path), folder, mmap, verify)
        except ArtifactError:
            # an error only counts when the version did not change under the read
            if attempt == LOAD_ATTEMPTS - 1 or layout.resolve(path) == folder:
                raise
    raise AssertionError("unreachable")


_DATA_NAME = (".csv", ".tsv", ".parquet", ".dat", ".txt", ".gz", "u.data")  # a log's names


def _train_first(path: Path) -> str:
    """"; it looks like training data: ..." when ``path`` is a log, or a folder holding one
    and no model array, given where a model folder goes (`audience build/demo-data ID`)."""
    try:
        names = [path.name] if path.is_file() else [n.name for n in path.iterdir()]
    except OSError:
        return ""
    data = any(n.lower().endswith(_DATA_NAME) for n in names) and ".npy" not in str(names)
    return (f"; it looks like training data: train a model on it first (recommender train "
            f"--data {path} --out MODEL)") if data else ""


def _load_folder(root: Path, src: Path, mmap: bool, verify: bool) -> Model:
    if not src.is_dir():
        if src != root and root.is_dir():  # the folder is there, its ``current`` dangles
            raise ArtifactError(f"{root}: its '{layout.CURRENT}' points at "
                                f"{os.path.relpath(src, root)}, which does not exist "
                                f"(removed?); point it at a version in {layout.VERSIONS}/ "
                                "or save the model again")
        if root.is_file():
            raise ArtifactError(f"{root}: a file, not a model folder{_train_first(root)}")
        raise ArtifactError(f"{root}: no such model folder")
    try:
        meta = json.loads((src / META).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(f"{src}: not a model folder ({META} is missing)"
                            f"{_train_first(src) if src == root else ''}") from None
    except (OSError, ValueError) as e:
        raise ArtifactError(f"{src / META}: unreadable ({e})") from None
    meta = unsealed(meta, src / META, verify)  # a JSON object, as saved
    version = meta.get("format_version")
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        newer = isinstance(version, int) and version > max(READABLE_VERSIONS)
        raise ArtifactError(f"{src}: model format version {version!r} is not supported "
                            f"(this version reads {', '.join(map(str, READABLE_VERSIONS))}); "
                            + ("it was written by a newer version of the engine: upgrade "
                               "this one to read it, or retrain with this version" if newer
                               else "retrain with this version"))
    attrs = [str(a) for a in meta.get("user_attributes", [])]
    needed = list(REQUIRED) + [f"{attribute_array(a)}.npy" for a in attrs]
    family = meta.get("params", {}).get("family", "als") if isinstance(
        meta.get("params"), dict) else "als"
    if family == "ease":
        needed.append(f"{PROJECTION}.npy")
    if _popularity(meta) > 0:
        needed.append(f"{PRIOR}.npy")
    needed += fitted.needed(meta)
    missing = [f for f in needed if not (src / f).is_file()]
    if missing:
        raise ArtifactError(f"{src}: incomplete model folder, missing {', '.join(missing)}")
    files = meta.pop(FILES, None)
    if files is not None:
        checked = _check_files(src, files, needed)
        if verify:
            for name, info in checked.items():
                verify_file(src / name, info)
    mode: Literal["r"] | None = "r" if mmap else None

    def arr(name: str) -> NDArray[Any]:
        try:
            return np.load(src / f"{name}.npy", mmap_mode=mode, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise ArtifactError(f"{src / (name + '.npy')}: unreadable ({e})") from None

    uf, ff = arr("user_factors"), arr("film_factors")
    user_ids, film_ids = arr("user_ids"), arr("film_ids")
    n_users, n_films = len(user_ids), len(film_ids)
    _expect(src, "user_factors", uf.shape[0] == n_users and uf.ndim == 2,
            f"{n_users} rows", uf.shape)
    _expect(src, "film_factors", ff.ndim == 2 and ff.shape == (n_films, uf.shape[1]),
            f"({n_films}, {uf.shape[1]})", ff.shape)
    seen = _csr(src, arr, "seen", (n_users, n_films))
    seen_by_film = _csr(src, arr, "seen_by_film", (n_films, n_users))
    if seen.nnz != seen_by_film.nnz:
        raise ArtifactError(f"{src}: seen and seen_by_film disagree ({seen.nnz} vs "
                            f"{seen_by_film.nnz} entries)")
    titles, years, genres = arr("film_titles"), arr("film_years"), arr("film_genres")
    for name, column in (("film_titles", titles), ("film_years", years), ("film_genres", genres)):
        _expect(src, name, column.shape == (n_films,), f"({n_films},)", column.shape)
    projection = None
    # listed in meta.json's files (an unlisted stray file is not part of the model)
    if family == "ease" or (f"{PROJECTION}.npy" in files if isinstance(files, dict)
                            else (src / f"{PROJECTION}.npy").is_file()):
        projection = arr(PROJECTION)
        _expect(src, PROJECTION, projection.shape == ff.shape, f"{tuple(ff.shape)}",
                projection.shape)
    prior = None
    if _popularity(meta) > 0:
        prior = arr(PRIOR)
        _expect(src, PRIOR, prior.shape == (n_films,) and prior.dtype == np.float32
                and bool(np.isfinite(prior).all()), f"({n_films},) finite float32",
                f"{prior.shape} {prior.dtype}")
    labels = arr("user_segments")
    _expect(src, "user_segments", labels.shape == (n_users,), f"({n_users},)", labels.shape)
    attributes: dict[str, NDArray[np.str_]] = {}
    for a in attrs:
        col = arr(attribute_array(a))
        _expect(src, attribute_array(a), col.shape == (n_users,), f"({n_users},)", col.shape)
        attributes[a] = col
    try:
        seg_info = json.loads((src / "segments.json").read_text(encoding="utf-8"))
        calib = json.loads((src / "calibration.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ArtifactError(f"{src}: unreadable segments/calibration ({e})") from None
    if n_users and int(np.max(labels)) >= len(seg_info):
        raise ArtifactError(f"{src}: user_segments refers to segment {int(np.max(labels))} "
                            f"but segments.json lists {len(seg_info)}")
    try:
        users, films = IdMap(np.asarray(user_ids)), IdMap(np.asarray(film_ids))
    except ValueError as e:
        raise ArtifactError(f"{src}: bad id arrays ({e})") from None
    return Model(
        users=users, films=films, user_factors=uf, film_factors=ff, seen=seen,
        seen_by_film=seen_by_film,
        catalog=Catalog(np.asarray(film_ids, dtype=str), titles, years, genres),
        user_table=UserTable(np.asarray(user_ids, dtype=str), attributes),
        segments=Segments(labels, seg_info), meta=meta, calibration=calib,
        fold_in_projection=projection, film_prior=prior, folder=str(src),
        unfitted=fitted.read(src, meta, arr, (n_users, n_films)))
