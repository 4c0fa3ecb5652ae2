/** The packages of one Python interpreter in an image. */
export interface PythonEnvironment {
  /** The interpreter's path in the image, such as /usr/bin/python3 or /venv/bin/python. */
  interpreter: string;
  /** The virtual environment's folder, or null for the system interpreter. */
  virtualenv: string | null;
  /** True for the environment compared across images: the declared VIRTUAL_ENV, else the first configured one, else python3. */
  primary: boolean;
  /** Version by normalized package name (PEP 503). */
  packages: Record<string, string>;
  /** How the list was read: pip, or importlib.metadata where pip is missing. */
  lister: 'pip' | 'importlib';
}

/** What an image contains, taken while it is validated. */
export interface Inventory {
  /** Fields of /etc/os-release, such as ID and VERSION_ID. */
  osRelease: Record<string, string>;
  python: PythonEnvironment[];
  /** Version by Debian package name; empty where dpkg-query is missing. */
  debian: Record<string, string>;
}

/** An inventory as stored for one image build. */
export interface InventoryRecord extends Inventory {
  rebuildRunId: string;
  image: string;
  validateRunId: string;
  imageRef: string;
  takenAt: string;
}
