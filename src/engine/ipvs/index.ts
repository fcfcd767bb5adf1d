export type { IpvsReal, IpvsService, IpvsState } from './types.js';
export { parseIpvsadmSave } from './ipvsadm.js';
export { IpSet, parseIpsetList, type Member as IpSetMember } from './ipset.js';
export { ipvsSchedule, type IpvsChoice } from './schedule.js';
