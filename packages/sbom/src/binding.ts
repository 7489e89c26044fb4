// What an SBOM describes: the files (and images) its attestation names as
// subjects. In order: the plan's binding for it; a file it is named after
// (hello.tar.gz.spdx.json describes hello.tar.gz); else the release's build
// outputs as a whole (hello-1.2.0.spdx.json).
import picomatch from 'picomatch';

export interface SbomBinding {
  /** The SBOM's release name, or a glob over release names. */
  file: string;
  /** Globs over release names of the files it describes. */
  describes?: string[];
  /** Names of plan images it describes. */
  images?: string[];
}

export interface SbomSubjects {
  files: string[];
  images: string[];
  /** Why these: the plan's binding, the SBOM's own name, or the whole release. */
  how: 'plan' | 'name' | 'release';
}

const SBOM_SUFFIXES = ['.spdx.json', '.cdx.json', '.cyclonedx.json', '.bom.json', '.sbom.json', '.spdx3.json', '.json'];

/** The subjects of the SBOM `sbom`, among `candidates` (the release's other build outputs); a string is a problem. */
export function sbomSubjects(sbom: string, candidates: readonly string[], bindings: readonly SbomBinding[] = []): SbomSubjects | string {
  const i = bindings.findIndex((b) => picomatch(b.file, { dot: true })(sbom));
  if (i >= 0) {
    const b = bindings[i];
    const files = new Set<string>();
    for (const glob of b.describes ?? []) {
      const match = picomatch(glob, { dot: true });
      const hits = candidates.filter((c) => match(c));
      if (hits.length === 0) return `attestations.sboms[${i}].describes "${glob}" matches no released file (${sbom})`;
      hits.forEach((h) => files.add(h));
    }
    const images = [...(b.images ?? [])];
    if (files.size === 0 && images.length === 0) return `attestations.sboms[${i}] binds ${sbom} to nothing: list describes or images`;
    return { files: [...files].sort(), images, how: 'plan' };
  }
  for (const suffix of SBOM_SUFFIXES) {
    const stem = sbom.endsWith(suffix) ? sbom.slice(0, -suffix.length) : undefined;
    if (stem && candidates.includes(stem)) return { files: [stem], images: [], how: 'name' };
  }
  if (candidates.length === 0) return `${sbom} describes nothing: the release has no other files (bind it to an image in attestations.sboms)`;
  return { files: [...candidates].sort(), images: [], how: 'release' };
}
