/*
 * elastic-pack's own glue (Apache-2.0), not Elasticsearch code.
 */
package elasticpack.esnode;

import org.elasticsearch.license.License;
import org.elasticsearch.license.XPackLicenseState;
import org.elasticsearch.license.internal.XPackLicenseStatus;
import org.elasticsearch.xpack.esql.plugin.EsqlPlugin;

/**
 * ES|QL reads the cluster's licence from x-pack's shared licence state, which only XPackPlugin (and its
 * licence service, security settings and SSL) would set up. The test node runs without XPackPlugin, so ES|QL
 * is given an active trial licence, as the Docker lab's self-generated trial licence gives it.
 */
public class TrialLicenseEsqlPlugin extends EsqlPlugin {
    @Override
    protected XPackLicenseState getLicenseState() {
        return new XPackLicenseState(System::currentTimeMillis, new XPackLicenseStatus(License.OperationMode.TRIAL, true, null));
    }
}
