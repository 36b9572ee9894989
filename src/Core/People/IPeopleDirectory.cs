using Approvals.Core.Actions;

namespace Approvals.Core.People;

/// <summary>The directory's people, looked up by any of their names: what four eyes decides on. Entra ID through
/// Microsoft Graph in Azure (<see cref="EntraUserDirectory"/>), the local Graph on a laptop — the same client.</summary>
public interface IPeopleDirectory
{
    /// <summary>The user with this object id (or user principal name); <c>null</c> when the directory has none.</summary>
    Task<DirectoryUser?> FindUserAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>Every user that <paramref name="address"/> names: as mail, user principal name, proxy address
    /// (<c>smtp:</c>) or other mail. Empty when none does; more than one when the directory is ambiguous.</summary>
    Task<IReadOnlyList<DirectoryUser>> FindByAddressAsync(string address, CancellationToken cancellationToken = default);
}
