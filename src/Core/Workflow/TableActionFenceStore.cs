using System.Text;
using Azure;
using Azure.Data.Tables;

namespace Approvals.Core.Workflow;

/// <summary>The action fence as a table in the task hub's storage account (<c>{TASKHUB_NAME}ActionFence</c>), one row per
/// approval. The first claim is an insert; an insert of a row that exists fails with 409 Conflict
/// (https://learn.microsoft.com/dotnet/api/azure.data.tables.tableclient.addentityasync), and the row that stands is read
/// back — so two claims racing on two machines never both win. The Functions app already holds "Storage Table Data
/// Contributor" on that account for Durable Functions' own tables (infra/bicep/app/rbac.bicep).</summary>
public sealed class TableActionFenceStore(TableClient table) : IActionFenceStore
{
    /// <summary>The fence's table for a task hub: its name plus <c>ActionFence</c> (letters and digits, as Azure Table names
    /// must be: https://learn.microsoft.com/en-us/rest/api/storageservices/understanding-the-table-service-data-model).</summary>
    public static string TableNameFor(string taskHub) => taskHub + "ActionFence";

    int created;

    public async Task<string> ClaimAsync(string approvalId, string claim, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(approvalId);
        if (Volatile.Read(ref created) == 0)
        {
            await table.CreateIfNotExistsAsync(cancellationToken);
            Volatile.Write(ref created, 1);
        }

        // Keys may not hold '/', '\', '#', '?' or control characters: the id is written as base64url.
        var key = Convert.ToBase64String(Encoding.UTF8.GetBytes(approvalId)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        try
        {
            await table.AddEntityAsync(new TableEntity(key, "") { ["ApprovalId"] = approvalId, ["Claim"] = claim }, cancellationToken);
            return claim;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            var standing = await table.GetEntityAsync<TableEntity>(key, "", cancellationToken: cancellationToken);
            return standing.Value.GetString("Claim");
        }
    }
}
