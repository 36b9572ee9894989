using System.Net.Http.Json;

namespace Approvals.Core.Indent;

public partial class IndentClient
{
    /// <summary>Resources, optionally a <paramref name="view"/> such as <c>requestable</c>, page by page.</summary>
    public virtual IAsyncEnumerable<Resource> ListResourcesAsync(string? view = null, string? labelSelector = null, int pageSize = 100, CancellationToken cancellationToken = default) =>
        PagesAsync(
            token => $"{SpacePath}/resources" + Query(("view", view), ("labelSelector", labelSelector), ("pageSize", Size(pageSize)), ("pageToken", token)),
            IndentJsonContext.Default.ListResourcesResponse,
            page => (page.Resources, page.NextPageToken),
            cancellationToken);

    public virtual async Task<Resource> GetResourceAsync(string resourceName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(resourceName);
        var path = $"{SpacePath}/resources/{Uri.EscapeDataString(resourceName)}";
        var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, path), IndentJsonContext.Default.GetResourceResponse, cancellationToken);
        return response.Resource ?? throw new IndentApiException("GET", "/" + path, System.Net.HttpStatusCode.OK, null, "response had no resource", null);
    }

    /// <summary>Creates or replaces resources by kind and id. Idempotent, so retried like a read.</summary>
    public virtual async Task<IReadOnlyList<Resource>> BulkUpdateResourcesAsync(IReadOnlyList<Resource> resources, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Post, $"{SpacePath}/resources:bulkUpdate")
            {
                Content = JsonContent.Create(new BulkUpdateResourcesRequest(resources), IndentJsonContext.Default.BulkUpdateResourcesRequest),
            },
            IndentJsonContext.Default.BulkUpdateResourcesResponse,
            cancellationToken);
        return response.Resources ?? [];
    }
}
