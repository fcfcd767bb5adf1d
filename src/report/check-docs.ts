/**
 * Where each built-in check is documented: docs/checks/<id>.md in the package (`np-doctor checks
 * ID` prints it) and the same page on the web, whose address every finding carries as docsUrl.
 */
export const CHECK_DOCS_BASE = 'https://np-doctor.dev/checks/';

export const checkDocsUrl = (id: string): string => `${CHECK_DOCS_BASE}${encodeURIComponent(id)}`;

/** The page's path inside the package, from its root. */
export const checkDocsPath = (id: string): string => `docs/checks/${id}.md`;
