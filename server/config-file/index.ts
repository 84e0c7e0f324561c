// The YAML configuration of the seed document: parsing with key-path errors (CLI --config),
// engine options from it, and policies in the same structure (dashboard import/export).
export { parseConfigText, checkConfigText, loadConfigFile, formatConfigIssue, keyPath, type ConfigIssue } from "./load-config";
export { configFileSchema, CONFIG_ENGINES, type ConfigFile, type BinlogTargetConfig } from "./schema";
export { engineOptionsFromConfig, readSecretFile } from "./engine-options";
export { policyToYaml, yamlToPolicyInput, type PolicyRefMaps, type PolicyRefNames } from "./policy-yaml";
export { parseSize, formatSize, parseDuration, formatDurationMs, isLvmSize } from "./units";
