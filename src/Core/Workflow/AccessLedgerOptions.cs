using Approvals.Core.Settings;

namespace Approvals.Core.Workflow;

/// <summary>Where the Functions app keeps the access ledger: the task hub's storage account (<c>AzureWebJobsStorage</c>,
/// a connection string, or identity-based: <c>AzureWebJobsStorage__tableServiceUri</c> with
/// <c>AzureWebJobsStorage__clientId</c> for a user-assigned managed identity, as infra/bicep/app/function.bicep sets —
/// https://learn.microsoft.com/en-us/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity),
/// in a table named after the task hub (<c>TASKHUB_NAME</c>). Missing either fails the app at start, naming it.</summary>
public sealed class AccessLedgerOptions : SettingsOptions
{
    public const string StorageSetting = "AzureWebJobsStorage";
    public const string TableServiceUriSetting = "AzureWebJobsStorage__tableServiceUri";
    public const string ClientIdSetting = "AzureWebJobsStorage__clientId";
    public const string TaskHubSetting = "TASKHUB_NAME";

    public string? ConnectionString { get; private set; }
    public Uri? TableServiceUri { get; private set; }
    public string? ClientId { get; private set; }
    public string TaskHub { get; private set; } = "";

    protected override void Read(SettingReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ConnectionString = reader.Text(StorageSetting);
        TableServiceUri = reader.AbsoluteUrl(TableServiceUriSetting, null, httpsOnly: false, "https://stapprovals.table.core.windows.net/");
        ClientId = reader.Text(ClientIdSetting);
        if (ConnectionString is null && TableServiceUri is null)
        {
            reader.Problem($"{StorageSetting} (or {TableServiceUriSetting}) is not set: the access ledger is a table in the task hub's storage account.");
        }

        var hub = reader.Text(TaskHubSetting);
        if (hub is null || !System.Text.RegularExpressions.Regex.IsMatch(hub, "^[A-Za-z][A-Za-z0-9]{2,44}$", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromMilliseconds(50)))
        {
            reader.Problem($"{TaskHubSetting} must be set to the task hub's name (3 to 45 letters and digits, starting with a letter): the access ledger's table is named after it.");
        }
        else
        {
            TaskHub = hub;
        }
    }
}
