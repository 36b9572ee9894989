@description('Log Analytics workspace and workspace-based Application Insights (Entra-only ingestion).')
param logAnalyticsName string
param appInsightsName string
param location string
param tags object

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

output appInsightsId string = insights.id
output appInsightsName string = insights.name
output connectionString string = insights.properties.ConnectionString
