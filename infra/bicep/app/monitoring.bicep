@description('Log Analytics workspace and workspace-based Application Insights (Entra-only ingestion).')
param logAnalyticsName string
param appInsightsName string
param location string
param tags object

@description('Optional: an action group (resource id) the alerts notify; without one they still fire in the portal.')
param alertActionGroupId string = ''

@description('Refused webhook signatures within 5 minutes that count as a spike (someone forging deliveries).')
@minValue(1)
param refusedWebhooksThreshold int = 20

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    // Telemetry is accepted only from Entra identities (the app's managed identity), not from the key alone.
    DisableLocalAuth: true
  }
}

// Alerts on what the app records through OpenTelemetry (Core's ApprovalsTelemetry; Azure Monitor stores them as
// customMetrics with their tags in customDimensions).
resource failedApprovals 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${appInsightsName}-failed-approvals'
  location: location
  tags: tags
  properties: {
    displayName: 'Approvals: an approval ended failed'
    description: 'An approval ended with status failed (approvals.finished, status=failed): the action or the petition failed; see GET /api/approvals/{id} for the detail.'
    severity: 2
    enabled: true
    scopes: [insights.id]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'customMetrics | where name == "approvals.finished" and tostring(customDimensions["status"]) == "failed" | summarize failed = sum(valueSum)'
          timeAggregation: 'Total'
          metricMeasureColumn: 'failed'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    actions: { actionGroups: empty(alertActionGroupId) ? [] : [alertActionGroupId] }
  }
}

resource refusedWebhooks 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${appInsightsName}-refused-webhooks'
  location: location
  tags: tags
  properties: {
    displayName: 'Approvals: spike in refused webhook signatures'
    description: 'Many webhook deliveries failed signature verification (approvals.webhooks.refused): someone may be forging Indent webhooks, or the webhook secret was rotated in Indent but not in Key Vault.'
    severity: 1
    enabled: true
    scopes: [insights.id]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: 'customMetrics | where name == "approvals.webhooks.refused" | summarize refused = sum(valueSum)'
          timeAggregation: 'Total'
          metricMeasureColumn: 'refused'
          operator: 'GreaterThan'
          threshold: refusedWebhooksThreshold
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    actions: { actionGroups: empty(alertActionGroupId) ? [] : [alertActionGroupId] }
  }
}

output appInsightsId string = insights.id
output appInsightsName string = insights.name
output connectionString string = insights.properties.ConnectionString
