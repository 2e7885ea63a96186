/**
 * KumoMTA's package versions, as apt knows them. Source: KumoCorp/kumomta assets/build-deb.sh —
 * the .deb `Version:` is the commit's date and abbreviated hash, `%Y.%m.%d.%H%M%S` + `.%h`
 * (`core.abbrev=8`), e.g. `2025.01.29.123456.833f82a8`; the release tag and `kumod --version`
 * use another form, `2025.01.29-833f82a8`, which apt does not accept.
 */

/** `YYYY.MM.DD.HHMMSS.<hash>`: what `apt-get install kumomta=<version>` accepts. */
export const KUMOMTA_PACKAGE_VERSION = /^\d{4}\.(0[1-9]|1[0-2])\.(0[1-9]|[12]\d|3[01])\.([01]\d|2[0-3])[0-5]\d[0-5]\d\.[0-9a-f]{8,40}$/;

/** The release-tag form (`kumod --version`, GitHub releases): `YYYY.MM.DD-<hash>`. */
export const KUMOMTA_RELEASE_TAG = /^\d{4}\.\d{2}\.\d{2}-[0-9a-f]{7,40}$/;

export const KUMOMTA_PACKAGE_VERSION_EXAMPLE = "2025.01.29.123456.833f82a8";

/** Why `v` is not a package version, with what to do; undefined when it is one. */
export function packageVersionProblem(v: string): string | undefined {
  if (KUMOMTA_PACKAGE_VERSION.test(v)) return undefined;
  const how = "'apt-cache madison kumomta' on an Ubuntu host with KumoMTA's repository lists the installable versions";
  if (KUMOMTA_RELEASE_TAG.test(v)) {
    return `${JSON.stringify(v)} is a release tag (as kumod --version prints it), not a package version: apt wants YYYY.MM.DD.HHMMSS.<hash>, e.g. ${KUMOMTA_PACKAGE_VERSION_EXAMPLE}; ${how}`;
  }
  return `${JSON.stringify(v)} is not a KumoMTA package version: use YYYY.MM.DD.HHMMSS.<hash>, e.g. ${KUMOMTA_PACKAGE_VERSION_EXAMPLE}; ${how}`;
}
