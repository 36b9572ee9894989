using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Approvals.Core.Actions;

/// <summary>The actions written on the contract (<see cref="ISensitiveAction"/>). Listing one here is its registration:
/// both hosts register its implementation (<see cref="AddSensitiveActions"/>), the API serves its start route, the
/// Functions app's one generic route and the local CLI's verbs come from this list.</summary>
public static class ActionCatalog
{
    public static readonly IReadOnlyList<ActionDescription> All =
    [
        Describe<PasswordReset.PasswordResetAction>(),
        Describe<TemporaryAccessPass.TemporaryAccessPassAction>(),
        Describe<GroupAccess.GroupAccessAction>(),
    ];

    /// <summary>The named <see cref="HttpClient"/> for actions' Graph calls (base address: <c>GRAPH_BASE_URL</c>).</summary>
    public const string GraphClient = "graph-actions";

    public static ActionDescription? Find(string? name) => All.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.Ordinal));

    static ActionDescription Describe<T>()
        where T : class, ISensitiveAction, IDescribedAction => T.Descriptor with { Implementation = typeof(T) };

    /// <summary>A name safe for Key Vault (alphanumerics and dashes), derived from the action and the approval id.</summary>
    public static string CredentialName(string action, string instanceId) =>
        "tmp-" + (Find(action)?.CredentialLabel ?? action) + "-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(instanceId)))[..40];

    /// <summary>Registers every listed action's implementation, resolvable by its descriptor.</summary>
    public static IServiceCollection AddSensitiveActions(this IServiceCollection services)
    {
        foreach (var action in All)
        {
            services.TryAddKeyedTransient(typeof(ISensitiveAction), action.Name, action.Implementation);
        }

        return services;
    }

    /// <summary>The implementation of <paramref name="action"/>.</summary>
    public static ISensitiveAction Resolve(IServiceProvider services, string action) =>
        services.GetRequiredKeyedService<ISensitiveAction>(action);
}
